/**
 * Client matrix: confluent-kafka-python 1.7.0 on librdkafka 2.0.2 (Debian
 * python3-confluent-kafka), driven through test/compat/py/confluent_client.py.
 * Every codec librdkafka has: none, gzip, snappy, lz4, zstd.
 */
import { pythonClientMatrix } from './helpers/python-suite.js';

pythonClientMatrix('confluent-kafka-python (librdkafka)', 'confluent_client.py', 'confluent-kafka-python');
