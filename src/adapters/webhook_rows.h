// The webhook rows both SQL adapters read (adapters/rows.h does the same for the store's
// tables): one column list per table, in the order the mappers read, and one mapper each.
//
// REQUIRES of Row: Text(column) returns the value as text (empty for NULL) and Int(column) as
// a 64-bit integer (0 for NULL).
#pragma once

#include <string>
#include <vector>

#include "ports/event_delivery.h"

namespace bo {

// Event types are stored as one text, separated by spaces.
std::string JoinEventTypes(const std::vector<std::string>& types);
std::vector<std::string> SplitEventTypes(const std::string& text);

#define BO_ENDPOINT_COLUMNS "id, url, events, secret, created_at_ms, COALESCE(disabled_at_ms, 0)"

template <class Row>
WebhookEndpoint EndpointFrom(const Row& q) {
  WebhookEndpoint e;
  e.id = q.Text(0);
  e.url = q.Text(1);
  e.event_types = SplitEventTypes(q.Text(2));
  e.secret = q.Text(3);
  e.created_at_ms = q.Int(4);
  e.disabled_at_ms = q.Int(5);
  return e;
}

// Columns 0..8 of a delivery row `d`.
#define BO_DELIVERY_COLUMNS                                                      \
  "d.endpoint_id, d.event_id, d.event_seq, d.type, d.created_at_ms, d.attempts," \
  " COALESCE(d.next_attempt_at_ms, 0), COALESCE(d.last_status, -1),"             \
  " COALESCE(d.delivered_at_ms, 0)"

template <class Row>
WebhookDelivery DeliveryFrom(const Row& q) {
  WebhookDelivery d;
  d.endpoint_id = q.Text(0);
  d.event_id = q.Text(1);
  d.event_seq = q.Int(2);
  d.type = q.Text(3);
  d.created_at_ms = q.Int(4);
  d.attempts = static_cast<int>(q.Int(5));
  d.next_attempt_at_ms = q.Int(6);
  d.last_status = static_cast<int>(q.Int(7));
  d.delivered_at_ms = q.Int(8);
  return d;
}

// A due delivery: the delivery's columns 0..8, then url, secret, the event's time_ms and data.
template <class Row>
DueDelivery DueDeliveryFrom(const Row& q) {
  DueDelivery due;
  due.delivery = DeliveryFrom(q);
  due.url = q.Text(9);
  due.secret = q.Text(10);
  due.event_time_ms = q.Int(11);
  due.data_json = q.Text(12);
  return due;
}

}  // namespace bo
