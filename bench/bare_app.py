"""A bare Flask app, the benchmark's yardstick: no extension, no session, no login."""

from flask import Flask

app = Flask(__name__)


@app.get("/hello")
def hello() -> str:
    return "hello"
