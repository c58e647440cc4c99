ALTER TABLE `payments` ADD `doubt_until` datetime(3) NOT NULL;--> statement-breakpoint
UPDATE `payments` SET `doubt_until` = GREATEST(`claimed_until`, `last_attempt_time`) + INTERVAL 120 SECOND;
