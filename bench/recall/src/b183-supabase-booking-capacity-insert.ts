import { createClient } from "@supabase/supabase-js";
const supabase = createClient(process.env.SUPABASE_URL!, process.env.SUPABASE_SERVICE_ROLE_KEY!);
// A confirmed booking is inserted after the day's bookings for the service are read and their party sizes summed
// against its capacity: two guests booking the last places together both see room, and both are confirmed.
export async function createConfirmedBooking(serviceId: string, bookingDate: string, partySize: number, guest: string) {
  const { data: service } = await supabase.from("services").select("capacity").eq("id", serviceId).single();
  if (!service) return { ok: false, reason: "unknown service" };
  const { data: taken } = await supabase
    .from("bookings")
    .select("party_size")
    .eq("service_id", serviceId)
    .eq("booking_date", bookingDate)
    .eq("status", "confirmed");
  const booked = (taken ?? []).reduce((sum, row) => sum + row.party_size, 0);
  if (booked + partySize > service.capacity) return { ok: false, reason: "fully booked" };
  const { data, error } = await supabase
    .from("bookings")
    .insert({ service_id: serviceId, booking_date: bookingDate, party_size: partySize, guest, status: "confirmed" })
    .select()
    .single();
  if (error) throw error;
  return { ok: true, booking: data };
}
// Correct: a database function takes a transaction advisory lock on the service and day, sums and inserts under it.
export async function createConfirmedBookingLocked(serviceId: string, bookingDate: string, partySize: number, guest: string) {
  const { data, error } = await supabase.rpc("book_with_capacity", {
    p_service_id: serviceId,
    p_booking_date: bookingDate,
    p_party_size: partySize,
    p_guest: guest,
  });
  if (error) return { ok: false, reason: error.message };
  return { ok: true, booking: data };
}
