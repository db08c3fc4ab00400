"""The tutorial: six runnable chapters under /tutorial/<n>, from hypermedia to the buzzer.

Each chapter is one module with its own handlers and templates
(`templates/tutorial/<module>*.html`); the page shows that code and the
requests and events on the wire. The scripts of the videos are in docs/tutorial/.
"""

from __future__ import annotations

from quart import Quart

from tutorial import (
    ch1_hypermedia,
    ch2_signals,
    ch3_validation,
    ch4_streams,
    ch5_room,
    ch6_buzzer,
    common,
)

CHAPTERS = (ch1_hypermedia, ch2_signals, ch3_validation, ch4_streams, ch5_room, ch6_buzzer)


def register(app: Quart) -> None:
    app.register_blueprint(common.bp)
    for chapter in CHAPTERS:
        app.register_blueprint(chapter.bp)
