"""Daily till summaries (Z tickets), recorded and posted to the shop's books at once:
the rule of the entry and the checks (`rules`, pure), the writes (`services`), the CSV
of days (`csv_import`: reading the file; `services.sales_days_import` records it).
"""
