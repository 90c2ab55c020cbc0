"""The app side: pure figure builders (`mnistapp.figures`) and the Streamlit pieces the pages share.

Imports point one way: pages -> mnistapp -> mnistcore. Figure builders take arrays and return figures,
with no maths beyond formatting; the maths comes from `mnistcore`.
"""
