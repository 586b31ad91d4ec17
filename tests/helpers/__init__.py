"""Helpers shared by the tests: data sets, servers, browsers, plain-SQL readers."""
