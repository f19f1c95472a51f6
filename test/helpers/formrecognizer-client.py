"""Drives the older Azure read API with Debian's azure.ai.formrecognizer (python3-azure): a second
real client, in another language, nobody here wrote. Usage: ENDPOINT KEY FILE [PAGES]; prints the
result as JSON, or {"error": class, "status": code, "message": …} and exits 3 on a refusal."""
import json
import sys

from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError
from azure.ai.formrecognizer import DocumentAnalysisClient

endpoint, key, path = sys.argv[1:4]
pages = sys.argv[4] if len(sys.argv) > 4 else None
client = DocumentAnalysisClient(endpoint, AzureKeyCredential(key))
try:
    with open(path, "rb") as document:
        poller = client.begin_analyze_document("prebuilt-read", document, pages=pages, polling_interval=0.2)
    result = poller.result()
except HttpResponseError as err:
    print(json.dumps({"error": type(err).__name__, "status": err.status_code, "code": err.error.code if err.error else None, "message": err.message}))
    sys.exit(3)
print(json.dumps({
    "model_id": result.model_id,
    "api_version": result.api_version,
    "content": result.content,
    "pages": [{"page_number": p.page_number, "width": p.width, "height": p.height, "unit": p.unit,
               "lines": [line.content for line in p.lines], "spans": [[s.offset, s.length] for s in p.spans]} for p in result.pages],
    "paragraphs": [p.content for p in (result.paragraphs or [])],
}, ensure_ascii=False))
