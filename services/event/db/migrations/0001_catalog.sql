CREATE TABLE `event_price_tiers` (
	`event_id` varchar(36) NOT NULL,
	`section_id` varchar(36) NOT NULL,
	`position` int NOT NULL,
	`currency_code` varchar(3) NOT NULL,
	`amount_minor` bigint NOT NULL,
	CONSTRAINT `event_price_tiers_event_id_section_id_pk` PRIMARY KEY(`event_id`,`section_id`)
);
--> statement-breakpoint
CREATE TABLE `event_revisions` (
	`event_id` varchar(36) NOT NULL,
	`revision` bigint NOT NULL,
	`changed_fields` varchar(1000) NOT NULL,
	`actor` varchar(64) NOT NULL,
	`snapshot` mediumblob NOT NULL,
	`change_time` datetime(3) NOT NULL,
	CONSTRAINT `event_revisions_event_id_revision_pk` PRIMARY KEY(`event_id`,`revision`)
);
--> statement-breakpoint
CREATE TABLE `events` (
	`id` varchar(36) NOT NULL,
	`organizer_id` varchar(36) NOT NULL,
	`venue_id` varchar(36) NOT NULL,
	`name` varchar(200) NOT NULL,
	`description` text NOT NULL,
	`city` varchar(100) NOT NULL,
	`start_time` datetime(3) NOT NULL,
	`end_time` datetime(3) NOT NULL,
	`time_zone` varchar(64) NOT NULL,
	`state` varchar(16) NOT NULL,
	`max_tickets_per_order` int NOT NULL,
	`sales_start_time` datetime(3),
	`sales_end_time` datetime(3),
	`layout_version` bigint NOT NULL,
	`revision` bigint NOT NULL,
	`create_time` datetime(3) NOT NULL,
	`update_time` datetime(3) NOT NULL,
	`publish_time` datetime(3),
	`cancel_time` datetime(3),
	`cancel_reason` varchar(500) NOT NULL DEFAULT '',
	CONSTRAINT `events_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE TABLE `venue_sections` (
	`id` varchar(36) NOT NULL,
	`venue_id` varchar(36) NOT NULL,
	`position` int NOT NULL,
	`name` varchar(100) NOT NULL,
	`kind` varchar(20) NOT NULL,
	`capacity` int NOT NULL,
	`seat_map` mediumblob,
	CONSTRAINT `venue_sections_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE TABLE `venues` (
	`id` varchar(36) NOT NULL,
	`organizer_id` varchar(36) NOT NULL,
	`name` varchar(200) NOT NULL,
	`address_line` varchar(300) NOT NULL,
	`city` varchar(100) NOT NULL,
	`country_code` varchar(2) NOT NULL,
	`time_zone` varchar(64) NOT NULL,
	`seat_count` int NOT NULL,
	`create_time` datetime(3) NOT NULL,
	`update_time` datetime(3) NOT NULL,
	CONSTRAINT `venues_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE INDEX `events_listing` ON `events` (`state`,`start_time`,`id`);--> statement-breakpoint
CREATE INDEX `events_organizer` ON `events` (`organizer_id`,`start_time`,`id`);--> statement-breakpoint
CREATE INDEX `venue_sections_venue` ON `venue_sections` (`venue_id`,`position`);--> statement-breakpoint
CREATE INDEX `venues_organizer` ON `venues` (`organizer_id`,`id`);