from fieldwork import create_app

app = create_app()
