ALTER TABLE `notifications` ADD `traceparent` varchar(55) DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `notifications` ADD `tracestate` varchar(512) DEFAULT '' NOT NULL;