"""The GraphQL face (Strawberry) at /graphql: the same application services as REST and the
web pages, translated into a typed schema.

`schema.py` joins each context's queries and mutations; `context.py` says who is asking;
`errors.py` turns a service's refusal into the typed result REST would answer as a problem.
"""
