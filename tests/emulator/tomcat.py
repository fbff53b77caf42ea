"""What the SEPM's web server, Apache Tomcat 9, answers a request head it will not read.

Tomcat's HTTP connector keeps a request's line and headers in one buffer of
``maxHttpHeaderSize`` bytes (8,192 by default). ``Http11InputBuffer.parseHeaders`` refuses
the request once the bytes read, from the request line to the blank line that ends the
headers (CRLFs included), exceed it: ``IllegalArgumentException("Request header is too
large")``, HTTP 400, and the connection is closed (``Connection: close``). The page is the
one ``ErrorReportValve`` writes with its default settings, from Tomcat 9.0.x's
``ErrorReportValve.report`` and ``LocalStrings.properties``; the stack trace's line numbers
are those of the 9.0.x branch. Its last line, the server's version (``<h3>Apache
Tomcat/9.0.NN</h3>``, ``showServerInfo``), is left out: the SEPM's Tomcat version is not known.
"""

DEFAULT_MAX_HEADER_BYTES = 8192
# Python's http.server reads at most 65,536 bytes per line, so the emulator cannot honour a larger limit.
MAX_HEADER_BYTES_LIMIT = 65536

_CSS = ("body {font-family:Tahoma,Arial,sans-serif;} h1, h2, h3, b {color:white;background-color:#525D76;} "
        "h1 {font-size:22px;} h2 {font-size:16px;} h3 {font-size:14px;} p {font-size:12px;} a {color:black;} "
        ".line {height:1px;background-color:#525D76;border:none;}")
_DESCRIPTION = ("The server cannot or will not process the request due to something that is perceived to be a client "
                "error (e.g., malformed request syntax, invalid request message framing, or deceptive request routing).")
# The SEPM runs on Windows, where Java's line separator is CRLF.
_TRACE = "\r\n".join((
    "java.lang.IllegalArgumentException: Request header is too large",
    "\torg.apache.coyote.http11.Http11InputBuffer.parseHeaders(Http11InputBuffer.java:599)",
    "\torg.apache.coyote.http11.Http11Processor.service(Http11Processor.java:303)",
    "\torg.apache.coyote.AbstractProcessorLight.process(AbstractProcessorLight.java:71)",
    "\torg.apache.coyote.AbstractProtocol$ConnectionHandler.process(AbstractProtocol.java:1344)",
    "\torg.apache.tomcat.util.net.NioEndpoint$SocketProcessor.doRun(NioEndpoint.java:2252)",
    "\torg.apache.tomcat.util.net.SocketProcessorBase.run(SocketProcessorBase.java:74)",
    "\torg.apache.tomcat.util.threads.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:976)",
    "\torg.apache.tomcat.util.threads.ThreadPoolExecutor$Worker.run(ThreadPoolExecutor.java:494)",
    "\torg.apache.tomcat.util.threads.TaskThread$WrappingRunnable.run(TaskThread.java:80)",
    "\tjava.base/java.lang.Thread.run(Thread.java:840)",
    "",
))
TITLE = "HTTP Status 400 \u2013 Bad Request"
MESSAGE = "Request header is too large"

HEADER_TOO_LARGE_PAGE = (
    '<!doctype html><html lang="en"><head><title>%(title)s</title><style type="text/css">%(css)s</style></head>'
    '<body><h1>%(title)s</h1><hr class="line" /><p><b>Type</b> Exception Report</p>'
    '<p><b>Message</b> %(message)s</p><p><b>Description</b> %(description)s</p>'
    '<p><b>Exception</b></p><pre>%(trace)s</pre>'
    '<p><b>Note</b> The full stack trace of the root cause is available in the server logs.</p>'
    '<hr class="line" /></body></html>'
) % {"title": TITLE, "css": _CSS, "message": MESSAGE, "description": _DESCRIPTION, "trace": _TRACE}
HEADER_TOO_LARGE_BODY = HEADER_TOO_LARGE_PAGE.encode("utf-8")
HEADER_TOO_LARGE_HEADERS = (
    ("Content-Type", "text/html;charset=utf-8"),
    ("Content-Language", "en"),
    ("Content-Length", str(len(HEADER_TOO_LARGE_BODY))),
    ("Connection", "close"),
)
