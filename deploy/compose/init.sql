-- The outbox table (Debezium's Outbox Event Router columns), created when the database starts empty.
CREATE TABLE public.outbox (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  aggregatetype text NOT NULL,
  aggregateid   text NOT NULL,
  type          text NOT NULL,
  payload       jsonb,
  traceparent   text,
  seq           bigint GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX ON public.outbox (seq);
