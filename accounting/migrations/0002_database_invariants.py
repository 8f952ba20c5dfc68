"""The invariants of docs/postings.md that PostgreSQL itself enforces, whatever code writes:

1. at commit, every entry has two lines at least and its debits equal its credits
   (a deferred constraint trigger on entries and on lines);
2. (check constraints of the models: one side per line, never negative);
3. posted entries and their lines are never updated or deleted (triggers);
4. an entry dated in a closed month is refused.
Other databases (SQLite for `make run`) rely on the services alone.
"""

from django.db import migrations

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION accounting_check_entry() RETURNS trigger AS $$
DECLARE
    target_entry bigint;
    line_count integer;
    total_debit numeric;
    total_credit numeric;
BEGIN
    IF TG_TABLE_NAME = 'accounting_entry' THEN
        target_entry := NEW.id;
    ELSIF TG_OP = 'DELETE' THEN
        target_entry := OLD.entry_id;
    ELSE
        target_entry := NEW.entry_id;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM accounting_entry WHERE id = target_entry) THEN
        RETURN NULL;
    END IF;
    SELECT count(*), coalesce(sum(debit), 0), coalesce(sum(credit), 0)
      INTO line_count, total_debit, total_credit
      FROM accounting_entryline WHERE entry_id = target_entry;
    IF line_count < 2 THEN
        RAISE EXCEPTION 'écriture % : au moins deux lignes sont requises (% trouvée)',
            target_entry, line_count USING ERRCODE = 'check_violation';
    END IF;
    IF total_debit <> total_credit THEN
        RAISE EXCEPTION 'écriture % déséquilibrée : débit % <> crédit %',
            target_entry, total_debit, total_credit USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION accounting_forbid_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'une écriture validée ne se modifie ni ne se supprime (%): passez une '
        'écriture d''extourne', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION accounting_check_open_period() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM accounting_closedperiod
               WHERE ledger_id = NEW.ledger_id
                 AND month = date_trunc('month', NEW.date)::date) THEN
        RAISE EXCEPTION 'le mois de % est clôturé', NEW.date
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER entry_has_balanced_lines
    AFTER INSERT ON accounting_entry DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION accounting_check_entry();
CREATE CONSTRAINT TRIGGER entryline_keeps_entry_balanced
    AFTER INSERT OR UPDATE OR DELETE ON accounting_entryline DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION accounting_check_entry();
CREATE TRIGGER entry_is_immutable
    BEFORE UPDATE OR DELETE ON accounting_entry
    FOR EACH ROW EXECUTE FUNCTION accounting_forbid_change();
CREATE TRIGGER entryline_is_immutable
    BEFORE UPDATE OR DELETE ON accounting_entryline
    FOR EACH ROW EXECUTE FUNCTION accounting_forbid_change();
CREATE TRIGGER entry_in_open_period
    BEFORE INSERT ON accounting_entry
    FOR EACH ROW EXECUTE FUNCTION accounting_check_open_period();
"""

REVERSE = r"""
DROP TRIGGER IF EXISTS entry_in_open_period ON accounting_entry;
DROP TRIGGER IF EXISTS entryline_is_immutable ON accounting_entryline;
DROP TRIGGER IF EXISTS entry_is_immutable ON accounting_entry;
DROP TRIGGER IF EXISTS entryline_keeps_entry_balanced ON accounting_entryline;
DROP TRIGGER IF EXISTS entry_has_balanced_lines ON accounting_entry;
DROP FUNCTION IF EXISTS accounting_check_open_period();
DROP FUNCTION IF EXISTS accounting_forbid_change();
DROP FUNCTION IF EXISTS accounting_check_entry();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTIONS, params=None)  # the SQL holds % signs


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE, params=None)


class Migration(migrations.Migration):
    dependencies = [("accounting", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
