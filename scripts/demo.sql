-- The outbox table (Debezium Outbox Event Router columns, plus the optional traceparent and the
-- seq column that polling orders by), and a few sample events.
CREATE TABLE IF NOT EXISTS public.outbox (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq           bigint GENERATED ALWAYS AS IDENTITY,
  aggregatetype text NOT NULL,
  aggregateid   text NOT NULL,
  type          text NOT NULL,
  payload       jsonb,
  traceparent   text
);
CREATE INDEX IF NOT EXISTS outbox_seq ON public.outbox (seq);
BEGIN;
INSERT INTO public.outbox (aggregatetype, aggregateid, type, payload) VALUES
  ('order',   'order-1001', 'OrderPlaced',    '{"orderId": 1001, "total": 42.50}'),
  ('order',   'order-1001', 'OrderPaid',      '{"orderId": 1001, "method": "card"}'),
  ('order',   'order-1002', 'OrderPlaced',    '{"orderId": 1002, "total": 9.99}'),
  ('invoice', 'inv-77',     'InvoiceIssued',  '{"invoice": 77, "order": 1001}');
COMMIT;
