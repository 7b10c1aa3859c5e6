from rest_framework import serializers

from monitoring.logs.parsing import LEVELS


class LogLineSerializer(serializers.Serializer):
    time = serializers.CharField(
        help_text="When the container wrote it (the kubelet's clock): ISO 8601, UTC, microseconds."
    )
    component = serializers.CharField(
        help_text="The component, as `components` names it: `scheduler`, `worker-default`..."
    )
    pod = serializers.CharField()
    container = serializers.CharField()
    level = serializers.ChoiceField(
        choices=LEVELS,
        allow_null=True,
        help_text="Parsed from Airflow's text or JSON formats (and pgbouncer's, Redis's...); a continuation line (a "
        "traceback's) has the level of the line before it; null when no line of the container told one yet.",
    )
    source = serializers.CharField(help_text="Where in the code, when the format tells (`scheduler_job_runner.py:42`).")
    message = serializers.CharField()


class LogPageSerializer(serializers.Serializer):
    lines = LogLineSerializer(many=True, help_text="Oldest first, merged across pods by time; the newest that match.")
    cursor = serializers.CharField(help_text="Pass it back as `cursor` to get only lines newer than these.")
    notices = serializers.ListField(
        child=serializers.CharField(),
        help_text="Sentences for people: a bound that cut the result, a pod still starting or gone mid-read, a "
        "container that restarted, no pods.",
    )
