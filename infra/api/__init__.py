"""The HTTP API's published contract (openapi.json) and the module that generates it from the handlers."""
