import { Injectable } from '@nestjs/common';

/** Set when SIGTERM arrives, so readiness fails and load balancers stop sending new work while in-flight requests finish. */
@Injectable()
export class ShutdownState {
  shuttingDown = false;
}
