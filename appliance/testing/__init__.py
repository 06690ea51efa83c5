"""The booth's testing kit: fakes for every port, scripted hardware and synthetic data.

It ships in the package (as gpiozero ships its MockFactory) so that the tests, the benchmarks and
anyone building on the booth use the same fakes instead of each keeping a copy. The product never
imports it: tests/test_testing_kit_boundary.py fails when a module of appliance/ outside this
folder does. Some modules here read files of a source checkout (evaluation/, ../shared/): they
serve the repository's own tests and benchmarks.
"""
