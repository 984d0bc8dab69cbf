/**
 * A metav1.MicroTime: the API server parses it with six fractional digits (Lease renewTime,
 * Event eventTime), where Date gives three. JSON.stringify calls toISOString through toJSON.
 */
export class MicroTime extends Date {
  override toISOString(): string {
    return `${super.toISOString().slice(0, -1)}000Z`;
  }
}
