"""The project's URLs plus two API views that meet what no product view meets on purpose: a broker that does not
answer while publishing, and a bug. For the API's outage and server-error answers (test_api_outages.py)."""

from django.urls import path
from kombu import Connection
from rest_framework.response import Response
from rest_framework.views import APIView

from aerodrome.tests.servers import free_port
from aerodrome.urls import urlpatterns as project_urlpatterns


class PublishView(APIView):
    """Publishes a message to a Redis broker nobody listens on, as a view that enqueues would."""

    def post(self, request):
        with Connection(f"redis://127.0.0.1:{free_port()}/0", connect_timeout=1) as connection:
            connection.default_channel.basic_publish(connection.default_channel.prepare_message("wake"), "", "q")
        return Response({"published": True})


class BugView(APIView):
    def get(self, request):
        raise RuntimeError("secret-internal-detail")


urlpatterns = [
    path("api/v1/test-outage/publish/", PublishView.as_view()),
    path("api/v1/test-outage/bug/", BugView.as_view()),
    *project_urlpatterns,
]
