from louise import create_app

app = create_app()
