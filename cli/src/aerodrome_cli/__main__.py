from aerodrome_cli.main import main

main()
