"""What the tests and the benchmarks share to drive the app: a server and a browser, a canvas to draw on,
websocket sessions without a browser, digits as pen strokes and as photos."""
