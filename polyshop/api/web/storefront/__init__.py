"""The storefront: server-rendered pages a shopper uses, on the same services as the API.

Every core flow works without JavaScript; `static/shop.js` only makes some of them quicker
(search suggestions, the variant picker). Pages set a strict Content-Security-Policy
(`security.py`), carry a CSRF token in every form, and are plain HTML a crawler can read.
"""
