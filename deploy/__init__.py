"""Operator commands: bootstrap a stage, package it as one stack, check its IAM policy.

Nothing here is deployed: ``chalice package`` ships only app.py and chalicelib/.
"""
