"""The daily digest: model.py says what it holds, build.py finds due digests and builds one,
week.py gives the week every sparkline draws, chart.py draws the chart."""
