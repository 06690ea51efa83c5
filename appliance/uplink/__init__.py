"""Background upload of accepted photos to the collection server, and the pull of review results."""
