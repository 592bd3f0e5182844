"""The station display (``edge.display.server``) and its page (``page.html``)."""
