""" "You might also like": a weighted product-to-product graph from what was bought and viewed
together, with a similarity fallback for products nobody has bought yet."""
