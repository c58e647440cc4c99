CREATE TABLE `payment_ledger_entries` (
	`id` varchar(36) NOT NULL,
	`entry_key` varchar(80) NOT NULL,
	`payment_id` varchar(36) NOT NULL,
	`kind` varchar(8) NOT NULL,
	`currency_code` varchar(3) NOT NULL,
	`amount_minor` bigint NOT NULL,
	`refund_id` varchar(36),
	`provider_reference` varchar(128) NOT NULL,
	`create_time` datetime(3) NOT NULL,
	CONSTRAINT `payment_ledger_entries_id` PRIMARY KEY(`id`),
	CONSTRAINT `payment_ledger_entries_key` UNIQUE(`entry_key`)
);
--> statement-breakpoint
CREATE TABLE `payment_refunds` (
	`id` varchar(36) NOT NULL,
	`payment_id` varchar(36) NOT NULL,
	`idempotency_key` varchar(64) NOT NULL,
	`request_fingerprint` binary(32) NOT NULL,
	`currency_code` varchar(3) NOT NULL,
	`amount_minor` bigint NOT NULL,
	`reason` varchar(200) NOT NULL,
	`state` varchar(16) NOT NULL,
	`failure_code` varchar(64) NOT NULL DEFAULT '',
	`provider_reference` varchar(128) NOT NULL DEFAULT '',
	`attempts` int NOT NULL DEFAULT 0,
	`claimed_until` datetime(3) NOT NULL,
	`create_time` datetime(3) NOT NULL,
	`update_time` datetime(3) NOT NULL,
	CONSTRAINT `payment_refunds_id` PRIMARY KEY(`id`),
	CONSTRAINT `payment_refunds_idempotency_key` UNIQUE(`idempotency_key`)
);
--> statement-breakpoint
CREATE TABLE `payments` (
	`id` varchar(36) NOT NULL,
	`idempotency_key` varchar(64) NOT NULL,
	`order_id` varchar(36) NOT NULL,
	`user_id` varchar(36) NOT NULL,
	`currency_code` varchar(3) NOT NULL,
	`amount_minor` bigint NOT NULL,
	`state` varchar(24) NOT NULL,
	`failure_code` varchar(64) NOT NULL DEFAULT '',
	`failure_message` varchar(300) NOT NULL DEFAULT '',
	`provider` varchar(32) NOT NULL,
	`provider_reference` varchar(128) NOT NULL DEFAULT '',
	`refunded_minor` bigint NOT NULL DEFAULT 0,
	`request_fingerprint` binary(32),
	`version` int NOT NULL,
	`attempts` int NOT NULL DEFAULT 0,
	`claimed_until` datetime(3) NOT NULL,
	`last_attempt_time` datetime(3) NOT NULL,
	`create_time` datetime(3) NOT NULL,
	`update_time` datetime(3) NOT NULL,
	CONSTRAINT `payments_id` PRIMARY KEY(`id`),
	CONSTRAINT `payments_idempotency_key` UNIQUE(`idempotency_key`),
	CONSTRAINT `payments_order` UNIQUE(`order_id`)
);
--> statement-breakpoint
CREATE TABLE `sandbox_charges` (
	`idempotency_key` varchar(255) NOT NULL,
	`reference` varchar(64) NOT NULL,
	`request_fingerprint` binary(32) NOT NULL,
	`currency_code` varchar(3) NOT NULL,
	`amount_minor` bigint NOT NULL,
	`status` varchar(16) NOT NULL,
	`failure_code` varchar(64) NOT NULL DEFAULT '',
	`description` varchar(500) NOT NULL,
	`metadata` text NOT NULL,
	`settle_time` datetime(3) NOT NULL,
	`create_time` datetime(3) NOT NULL,
	CONSTRAINT `sandbox_charges_idempotency_key` PRIMARY KEY(`idempotency_key`),
	CONSTRAINT `sandbox_charges_reference` UNIQUE(`reference`)
);
--> statement-breakpoint
CREATE TABLE `sandbox_refunds` (
	`idempotency_key` varchar(255) NOT NULL,
	`reference` varchar(64) NOT NULL,
	`request_fingerprint` binary(32) NOT NULL,
	`charge_reference` varchar(64) NOT NULL,
	`currency_code` varchar(3) NOT NULL,
	`amount_minor` bigint NOT NULL,
	`create_time` datetime(3) NOT NULL,
	CONSTRAINT `sandbox_refunds_idempotency_key` PRIMARY KEY(`idempotency_key`)
);
--> statement-breakpoint
CREATE INDEX `payment_ledger_payment` ON `payment_ledger_entries` (`payment_id`);--> statement-breakpoint
CREATE INDEX `payment_refunds_payment` ON `payment_refunds` (`payment_id`,`state`);--> statement-breakpoint
CREATE INDEX `payment_refunds_pending` ON `payment_refunds` (`state`,`claimed_until`);--> statement-breakpoint
CREATE INDEX `payments_user` ON `payments` (`user_id`,`create_time`,`id`);--> statement-breakpoint
CREATE INDEX `payments_pending` ON `payments` (`state`,`last_attempt_time`);--> statement-breakpoint
CREATE INDEX `sandbox_refunds_charge` ON `sandbox_refunds` (`charge_reference`);