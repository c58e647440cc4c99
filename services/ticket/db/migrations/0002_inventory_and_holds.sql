CREATE TABLE `buyers` (
	`inv_id` int unsigned NOT NULL,
	`buyer_id` varchar(36) NOT NULL,
	`last_hold_id` varchar(36),
	`prev_hold_id` varchar(36),
	`in_orders` int NOT NULL DEFAULT 0,
	CONSTRAINT `buyers_inv_id_buyer_id_pk` PRIMARY KEY(`inv_id`,`buyer_id`)
);
--> statement-breakpoint
CREATE TABLE `ga_stripes` (
	`inv_id` int unsigned NOT NULL,
	`section_no` smallint unsigned NOT NULL,
	`stripe` smallint unsigned NOT NULL,
	`capacity` int NOT NULL,
	`available` int NOT NULL,
	CONSTRAINT `ga_stripes_inv_id_section_no_stripe_pk` PRIMARY KEY(`inv_id`,`section_no`,`stripe`)
);
--> statement-breakpoint
CREATE TABLE `hold_ga_items` (
	`hold_id` varchar(36) NOT NULL,
	`section_no` smallint unsigned NOT NULL,
	`stripe` smallint unsigned NOT NULL,
	`inv_id` int unsigned NOT NULL,
	`quantity` int NOT NULL,
	`unit_price_minor` bigint NOT NULL,
	`returned` int NOT NULL DEFAULT 0,
	`taken_until` datetime(3),
	`sold` boolean NOT NULL DEFAULT false,
	CONSTRAINT `hold_ga_items_hold_id_section_no_stripe_pk` PRIMARY KEY(`hold_id`,`section_no`,`stripe`)
);
--> statement-breakpoint
CREATE TABLE `hold_seats` (
	`hold_id` varchar(36) NOT NULL,
	`seat_no` int unsigned NOT NULL,
	`inv_id` int unsigned NOT NULL,
	`section_no` smallint unsigned NOT NULL,
	`price_minor` bigint NOT NULL,
	CONSTRAINT `hold_seats_hold_id_seat_no_pk` PRIMARY KEY(`hold_id`,`seat_no`)
);
--> statement-breakpoint
CREATE TABLE `holds` (
	`id` varchar(36) NOT NULL,
	`inv_id` int unsigned NOT NULL,
	`event_id` varchar(36) NOT NULL,
	`buyer_id` varchar(36) NOT NULL,
	`state` varchar(16) NOT NULL,
	`quantity` int NOT NULL,
	`currency_code` char(3) NOT NULL,
	`total_minor` bigint NOT NULL,
	`create_time` datetime(3) NOT NULL,
	`expire_time` datetime(3) NOT NULL,
	`end_time` datetime(3),
	`order_id` varchar(36),
	`order_places_returned` boolean NOT NULL DEFAULT false,
	CONSTRAINT `holds_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE TABLE `inventories` (
	`inv_id` int unsigned AUTO_INCREMENT NOT NULL,
	`event_id` varchar(36) NOT NULL,
	`status` varchar(16) NOT NULL,
	`layout_version` bigint NOT NULL,
	`price_revision` bigint NOT NULL,
	`venue_id` varchar(36) NOT NULL,
	`organizer_id` varchar(36) NOT NULL,
	`sales_start` datetime(3) NOT NULL,
	`sales_end` datetime(3) NOT NULL,
	`max_per_order` int NOT NULL,
	`max_per_buyer` int NOT NULL,
	`seat_count` int NOT NULL,
	`create_time` datetime(3) NOT NULL,
	`cancel_time` datetime(3),
	CONSTRAINT `inventories_inv_id` PRIMARY KEY(`inv_id`),
	CONSTRAINT `inventories_event` UNIQUE(`event_id`)
);
--> statement-breakpoint
CREATE TABLE `inventory_sections` (
	`inv_id` int unsigned NOT NULL,
	`section_no` smallint unsigned NOT NULL,
	`section_id` varchar(36) NOT NULL,
	`name` varchar(100) NOT NULL,
	`kind` varchar(8) NOT NULL,
	`capacity` int NOT NULL,
	`first_seat` int NOT NULL,
	`stripes` smallint unsigned NOT NULL,
	`currency_code` char(3) NOT NULL,
	`price_minor` bigint NOT NULL,
	CONSTRAINT `inventory_sections_inv_id_section_no_pk` PRIMARY KEY(`inv_id`,`section_no`),
	CONSTRAINT `inventory_sections_id` UNIQUE(`inv_id`,`section_id`)
);
--> statement-breakpoint
CREATE TABLE `seats` (
	`inv_id` int unsigned NOT NULL,
	`seat_no` int unsigned NOT NULL,
	`section_no` smallint unsigned NOT NULL,
	`row_no` smallint unsigned NOT NULL,
	`pos` smallint unsigned NOT NULL,
	`row_length` smallint unsigned NOT NULL,
	`gap_before` boolean NOT NULL,
	`accessible` boolean NOT NULL,
	`row_label` varchar(8) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	`seat_label` varchar(8) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	`hold_id` varchar(36),
	`taken_until` datetime(3),
	`sold` boolean NOT NULL DEFAULT false,
	CONSTRAINT `seats_inv_id_seat_no_pk` PRIMARY KEY(`inv_id`,`seat_no`),
	CONSTRAINT `seats_label` UNIQUE(`inv_id`,`section_no`,`row_label`,`seat_label`)
);
--> statement-breakpoint
CREATE INDEX `hold_ga_items_outstanding` ON `hold_ga_items` (`inv_id`,`section_no`,`taken_until`);--> statement-breakpoint
CREATE INDEX `holds_due` ON `holds` (`state`,`expire_time`);--> statement-breakpoint
CREATE INDEX `holds_buyer` ON `holds` (`buyer_id`,`create_time`);