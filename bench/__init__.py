"""Load benchmark: simulated browser players over real HTTP and SSE.

`python -m bench [arena|burst|idle|all]` starts its own redis-server and the
game under Hypercorn, drives players the way a browser does (cookie, name,
room, one stream each, a buzz after GO), and runs the same scenario on two
baselines in the same invocation: a bare SSE fan-out server (the ceiling) and
the same game on Starlette + sse-starlette + uvicorn (the peer). See
bench/cli.py for the options and README.md, "Performance", for the figures.
"""
