"""One module per kind of console page; each view is ``async (request, console) -> Response``."""
