"""One router per area; each route is thin: check scope, query or record, answer."""
