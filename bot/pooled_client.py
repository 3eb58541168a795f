"""A WebClient that keeps its connections: slack_sdk's own opens a new one (urllib) for every
call, which at fan-out doubled the cost of each post (issue 23). This one sends each call over a
pool of keep-alive connections (urllib3's PoolManager, shared by the process's threads) and hands
slack_sdk exactly what urllib would have: the same answer for a 2xx, the same HTTPError for
anything else, and the same errors for a connection that fails, so its retry handlers (429,
5xx, resets) and the sender's reading of failures are unchanged.

Only the transport changes; a proxy (`proxy=`), which urllib3 would need set up apart, keeps
slack_sdk's own path.
"""

from __future__ import annotations

import io
from http.client import HTTPMessage
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.request import Request

import urllib3
from slack_sdk import WebClient

POOL = 32  # connections kept per host: the serve's background threads and the tick's sender


class PooledWebClient(WebClient):
    """slack_sdk's WebClient over kept-alive, pooled connections."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pool = urllib3.PoolManager(maxsize=POOL, block=False, ssl_context=self.ssl)

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        if self.proxy is not None or not url.lower().startswith("http"):
            return super()._perform_urllib_http_request_internal(url, req)
        try:
            answer = self._pool.request(
                "POST",  # as slack_sdk sends every call
                url,
                body=req.data,  # type: ignore[arg-type]
                headers={k: str(v) for k, v in req.header_items()},
                timeout=self.timeout,
                retries=False,  # slack_sdk's retry handlers decide, as with urllib
                redirect=False,
            )
        except urllib3.exceptions.ReadTimeoutError as slow:  # urllib: socket.timeout, not retried
            raise TimeoutError(str(slow)) from slow
        except urllib3.exceptions.HTTPError as failed:  # no connection, reset: urllib's URLError
            raise URLError(failed) from failed
        headers = HTTPMessage()
        for name, value in answer.headers.items():
            headers[name] = value
        if not 200 <= answer.status < 300:  # what urllib's HTTPErrorProcessor raises
            raise HTTPError(
                url, answer.status, answer.reason or "", headers, io.BytesIO(answer.data)
            )
        if headers.get_content_type() == "application/gzip":
            return {"status": answer.status, "headers": headers, "body": answer.data}
        charset = headers.get_content_charset() or "utf-8"
        return {"status": answer.status, "headers": headers, "body": answer.data.decode(charset)}
