"""The daily digest: model.py says what it holds, build.py finds due digests and builds them,
delivery.py claims, builds and posts a workspace's due digests together, week.py gives the week
every sparkline draws, chart.py draws the chart."""
