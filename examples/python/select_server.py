"""Select server (tutorial: "Approach 4: Select/Poll"): one thread multiplexes every socket.
"""
import argparse
import select
import socket


def select_server(host='localhost', port=8080):
    """TCP server using select() for I/O multiplexing."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((host, port))
    server.listen(5)
    server.setblocking(False)  # Non-blocking mode

    # List of sockets to monitor
    inputs = [server]
    outputs = []
    message_queues = {}

    while inputs:
        # Wait for activity
        readable, writable, exceptional = select.select(
            inputs, outputs, inputs, 0.1  # 100ms timeout
        )

        # Handle readable sockets
        for sock in readable:
            if sock is server:
                # New connection
                client, address = server.accept()
                client.setblocking(False)
                inputs.append(client)
                message_queues[client] = []
            else:
                # Existing client
                data = sock.recv(1024)
                if data:
                    # Add to output queue
                    message_queues[sock].append(data)
                    if sock not in outputs:
                        outputs.append(sock)
                else:
                    # Client disconnected
                    if sock in outputs:
                        outputs.remove(sock)
                    inputs.remove(sock)
                    sock.close()
                    del message_queues[sock]

        # Handle writable sockets
        for sock in writable:
            if sock not in message_queues:
                continue  # closed above, in this same round
            if message_queues[sock]:
                data = message_queues[sock].pop(0)
                sock.sendall(data)
            else:
                outputs.remove(sock)

        # Handle exceptional conditions
        for sock in exceptional:
            if sock not in inputs:
                continue
            inputs.remove(sock)
            if sock in outputs:
                outputs.remove(sock)
            sock.close()
            del message_queues[sock]

    server.close()


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--host', default='localhost')
    parser.add_argument('--port', type=int, default=8080)
    options = parser.parse_args()
    try:
        select_server(options.host, options.port)
    except KeyboardInterrupt:
        pass
