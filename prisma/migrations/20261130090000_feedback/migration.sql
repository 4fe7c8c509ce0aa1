-- Bounces and complaints from SES arrive naming the provider's message id: find the delivery
-- by it without scanning every delivery.
CREATE INDEX "deliveries_providerMessageId_idx" ON "deliveries"("providerMessageId");
