"""The account numbers the code posts to or reads, by name (docs/postings.md, "Chart of accounts").

Every one is in the chart every ledger starts with (chart_of_accounts.csv). Code names
an account through these constants, never by its number: the chart's vocabulary lives
here once.
"""

CAPITAL = "101300"  # capital souscrit, appelé, versé
PROFIT = "120000"  # résultat de l'exercice (bénéfice): the FEC's opening balances only
LOSS = "129000"  # résultat de l'exercice (perte): the FEC's opening balances only
STOCK = "370000"  # stocks de marchandises
SUPPLIERS = "401000"  # fournisseurs (a shop's: the cooperative is one)
CUSTOMERS = "411000"  # clients (the cooperative's: its shops)
CUSTOMER_CREDITS = "419100"  # clients créditeurs: a shop's overpayments and credits
VAT_DEDUCTIBLE = "445660"  # TVA déductible sur autres biens et services
VAT_COLLECTED = "445710"  # TVA collectée
BANK = "512000"
CASH = "530000"
INTERNAL_TRANSFERS = "580000"  # virements internes
STOCK_VARIATION = "603700"  # variation des stocks de marchandises
PURCHASES = "607000"  # achats de marchandises
INTERMEDIARIES = "622800"  # a shop's default account for the cooperative's fee
TRANSPORT_ON_PURCHASES = "624100"  # transports sur achats
SUNDRY_CHARGES = "658000"  # charges diverses de gestion courante
SERVICES_SOLD = "706000"  # prestations de services: the cooperative's fee
SALES = "707000"  # ventes de marchandises
ANCILLARY_INCOME = "708000"  # produits des activités annexes: shipping charged on
SUNDRY_INCOME = "758000"  # produits divers de gestion courante
