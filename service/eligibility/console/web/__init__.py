"""The browser console (issue 17): `eligibility console` serves, on loopback only, pages that call the gRPC server
with the role's own credential through the same client as the CLI (console.client). security.py guards it (a
per-launch token, same-origin forms, the Host header); results.py keeps a round's results compact for paging;
app.py has the pages; templates/ the HTML (server-rendered, no JavaScript)."""
