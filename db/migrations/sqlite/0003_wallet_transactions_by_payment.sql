-- The debit of a payment, found by the payment: the audit checks each points payment against
-- its debit, which without this index scans every wallet transaction once per payment.
CREATE INDEX wallet_transactions_by_payment ON wallet_transactions(payment_id);
