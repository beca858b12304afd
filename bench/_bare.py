"""The ceiling of a WSGI server: a bare Flask endpoint returning a fixed 150-byte JSON (bench/bench_server.py)."""

from flask import Flask, Response

app = Flask(__name__)
BODY = (
    b'{"conceptId":"1059990001105","pt":"Metastatic malignant neoplasm to ilium",'
    b'"active":true,"definitionStatus":"primitive","moduleId":"19990001103","x":"0123456789"}'
)


@app.get("/bare")
def bare() -> Response:
    return Response(BODY, mimetype="application/json")
