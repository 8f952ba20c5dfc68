"""B2C e-reporting of the member shops' sales (docs/e-reporting.md): the periods of a
shop's VAT regime and what a day reports (`rules`, pure), the days over a span and a
month reconciled with the sales journal (`selectors`). The API is
accounting.apis.ereporting, the page accounting.views.e_reporting_page.
"""
