"""`make deploy-check`: `make deploy` against a local moto server, checked black-box (see __main__)."""
