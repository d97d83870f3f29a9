"""Request and response shapes of the REST API, separate from storage rows and documents."""
