"""Product search: full text with filters, facets, typo tolerance and autocomplete."""
