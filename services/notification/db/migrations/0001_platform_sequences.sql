CREATE TABLE `consumer_failures` (
	`consumer` varchar(128) NOT NULL,
	`event_id` varchar(36) NOT NULL,
	`attempts` int unsigned NOT NULL,
	`last_error` varchar(1000) NOT NULL,
	`update_time` datetime(3) NOT NULL,
	CONSTRAINT `consumer_failures_consumer_event_id_pk` PRIMARY KEY(`consumer`,`event_id`)
);
--> statement-breakpoint
CREATE TABLE `outbox_sequences` (
	`aggregate_type` varchar(64) NOT NULL,
	`aggregate_id` varchar(64) NOT NULL,
	`last_sequence` bigint unsigned NOT NULL,
	CONSTRAINT `outbox_sequences_aggregate_type_aggregate_id_pk` PRIMARY KEY(`aggregate_type`,`aggregate_id`)
);
--> statement-breakpoint
ALTER TABLE `inbox_aggregates` ADD `sequence` bigint unsigned DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `outbox_events` ADD `retry_time` datetime(3);--> statement-breakpoint
CREATE INDEX `consumer_failures_update_time` ON `consumer_failures` (`update_time`);