-- Custom migration: the first step of every hold in one round trip (services/ticket/db/holds.ts,
-- docs/ticket.md "Holds through the one port"). Upserts the buyer row (locking it: one buyer's
-- holds go one at a time; the new hold becomes the latest and the one before it is returned for
-- release), inserts the hold row, and answers the buyer's previous hold, places in orders and the
-- event's status. Every caller passes parameters; the body builds no SQL from strings.
CREATE PROCEDURE `hold_begin`(
	IN p_inv int unsigned,
	IN p_buyer varchar(36),
	IN p_hold varchar(36),
	IN p_event varchar(36),
	IN p_quantity int,
	IN p_currency char(3),
	IN p_total bigint,
	IN p_now datetime(3),
	IN p_expire datetime(3)
)
MODIFIES SQL DATA
BEGIN
	INSERT INTO `buyers` (`inv_id`, `buyer_id`, `last_hold_id`, `prev_hold_id`, `in_orders`)
		VALUES (p_inv, p_buyer, p_hold, NULL, 0)
		ON DUPLICATE KEY UPDATE `prev_hold_id` = `last_hold_id`, `last_hold_id` = VALUES(`last_hold_id`);
	INSERT INTO `holds` (`id`, `inv_id`, `event_id`, `buyer_id`, `state`, `quantity`, `currency_code`, `total_minor`, `create_time`, `expire_time`)
		VALUES (p_hold, p_inv, p_event, p_buyer, 'ACTIVE', p_quantity, p_currency, p_total, p_now, p_expire);
	SELECT b.`prev_hold_id`, b.`in_orders`, (SELECT i.`status` FROM `inventories` i WHERE i.`inv_id` = p_inv) AS `status`
		FROM `buyers` b WHERE b.`inv_id` = p_inv AND b.`buyer_id` = p_buyer;
END;
