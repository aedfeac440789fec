-- Sample events, inserted the way a service would: in one transaction with its business change.
BEGIN;
INSERT INTO public.outbox (aggregatetype, aggregateid, type, payload) VALUES
  ('order',   'order-1001', 'OrderPlaced',    '{"orderId": 1001, "total": 42.50}'),
  ('order',   'order-1001', 'OrderPaid',      '{"orderId": 1001, "method": "card"}'),
  ('order',   'order-1002', 'OrderPlaced',    '{"orderId": 1002, "total": 9.99}'),
  ('invoice', 'inv-77',     'InvoiceIssued',  '{"invoice": 77, "order": 1001}');
COMMIT;
