"""The views: Plotly figure builders and the Streamlit helpers the pages share.

Imports point one way: pages -> views -> mnistcore. Figure builders take arrays and return figures,
with no maths beyond formatting; the maths comes from `mnistcore`.
"""
