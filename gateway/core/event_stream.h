#pragma once

#include <functional>
#include <string>

namespace brygga::core {

// An answer that stays open after its head: its body is events the answering side produces over
// time (Server-Sent Events), ending only when the connection does. The HTTP front calls start()
// once the head is on its way, with `send`, which queues bytes for the connection from any
// thread and returns false once the connection is gone; and stop() once when the connection
// closes (the client left, the server stops, a client too slow to read), whether start() was
// called or not. Neither may block (they run on the front's event loop). After stop(), `send`
// only returns false.
class EventStream {
 public:
  virtual ~EventStream() = default;
  virtual void start(std::function<bool(std::string)> send) = 0;
  virtual void stop() = 0;
};

}  // namespace brygga::core
